# Windows: sign kiosk.exe, build the Inno Setup installer around dist\kiosk, sign the installer.
# Signing runs only when WINDOWS_CERT_PFX_BASE64 (+ WINDOWS_CERT_PASSWORD) are set (release secrets); otherwise it
# says so and the installer is unsigned (SmartScreen will warn the store owner). Run after packaging/build.py.
$ErrorActionPreference = "Stop"
$root = Resolve-Path "$PSScriptRoot\..\.."
$version = (& python -c "import importlib.metadata as m; print(m.version('kiosk'))").Trim()

function Sign-File($path) {
    if (-not $env:WINDOWS_CERT_PFX_BASE64) {
        Write-Host "signing skipped: WINDOWS_CERT_PFX_BASE64 is not set ($path stays unsigned)"
        return
    }
    $pfx = Join-Path $env:RUNNER_TEMP "kiosk-cert.pfx"
    [IO.File]::WriteAllBytes($pfx, [Convert]::FromBase64String($env:WINDOWS_CERT_PFX_BASE64))
    try {
        $signtool = Get-ChildItem "${env:ProgramFiles(x86)}\Windows Kits\10\bin\*\x64\signtool.exe" |
            Sort-Object FullName -Descending | Select-Object -First 1
        & $signtool.FullName sign /f $pfx /p $env:WINDOWS_CERT_PASSWORD /fd SHA256 /td SHA256 `
            /tr http://timestamp.digicert.com $path
        if ($LASTEXITCODE -ne 0) { throw "signtool failed on $path" }
    } finally {
        Remove-Item $pfx -Force
    }
}

Sign-File "$root\dist\kiosk\kiosk.exe"
$iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe"
& $iscc "/DAppVersion=$version" "/DSourceDir=$root\dist\kiosk" "/DOutputDir=$root\dist" "$PSScriptRoot\kiosk.iss"
if ($LASTEXITCODE -ne 0) { throw "ISCC failed" }
Sign-File "$root\dist\kiosk-$version-setup.exe"
