; Inno Setup script: per-user installer around the PyInstaller folder (dist\kiosk). Built by build_installer.ps1:
;   iscc /DAppVersion=0.1.0 /DSourceDir=..\..\dist\kiosk /DOutputDir=..\..\dist packaging\windows\kiosk.iss
; Why Inno Setup: per-user installs without admin rights, scheduled tasks and uninstall prompts in a few lines of
; Pascal script, and it is preinstalled on GitHub's Windows runners (NSIS would need plugins, WiX an MSI author).
; The journal and the catalogue live in the user's data folder (%LOCALAPPDATA%\kiosk), not in {app}: uninstall
; leaves them unless the user ticks the box that removes them.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\kiosk"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif

[Setup]
AppId={{5B0E6C5E-2D1F-4C3B-9A61-6E1D2B7F4A10}
AppName=Kiosk
AppVersion={#AppVersion}
AppPublisher=kiosk
DefaultDirName={localappdata}\Programs\kiosk
DefaultGroupName=Kiosk
DisableProgramGroupPage=yes
; Per user: no administrator rights, nothing outside the user's profile.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename=kiosk-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\kiosk.ico
UninstallDisplayIcon={app}\kiosk.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked
Name: "kioskatlogon"; Description: "Start kiosk in kiosk mode (full screen) when I sign in"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Kiosk"; Filename: "{app}\kiosk.exe"
Name: "{autodesktop}\Kiosk"; Filename: "{app}\kiosk.exe"; Tasks: desktopicon
; Kiosk mode at sign-in: a shortcut in this user's Startup folder (a per-user install cannot create an ONLOGON
; scheduled task without admin rights); uninstall removes it.
Name: "{userstartup}\Kiosk (kiosk mode)"; Filename: "{app}\kiosk.exe"; Parameters: "--kiosk"; Tasks: kioskatlogon

[Run]
Filename: "{app}\kiosk.exe"; Description: "Start kiosk now"; Flags: nowait postinstall skipifsilent

[Code]
// Uninstall keeps the journal (payments in flight, history) and the catalogue unless the user asks.
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    DataDir := ExpandConstant('{localappdata}\kiosk');
    if DirExists(DataDir) and not UninstallSilent then
      if MsgBox('Also delete the payment journal, the catalogue, the settings and the logs in ' + DataDir + '?' + #13#10 +
                'Keep them if you reinstall kiosk or may need the payment history.',
                mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
        DelTree(DataDir, True, True, True);
  end;
end;
