#!/usr/bin/env bash
# macOS: sign dist/kiosk.app (hardened runtime), wrap it in dist/kiosk-<version>-<arch>.dmg, notarise, staple.
# Run after packaging/build.py on the Mac whose architecture you ship (macos-15 = arm64, macos-15-intel = x86_64; not
# universal2: the PySide6 wheels are universal2 but cryptography/cffi/charset-normalizer wheels are per-arch, so a
# universal2 freeze would need fused wheels we do not build). Signing and notarisation run only when the secrets are
# set (MACOS_CERT_P12_BASE64, MACOS_CERT_PASSWORD, MACOS_SIGN_IDENTITY; APPLE_ID, APPLE_TEAM_ID,
# APPLE_APP_PASSWORD); otherwise the .dmg is unsigned and this script says so (Gatekeeper will refuse it).
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(python -c "import importlib.metadata as m; print(m.version('kiosk'))")
arch=$(uname -m)
app=dist/kiosk.app
dmg="dist/kiosk-${version}-${arch}.dmg"
[ -d "$app" ] || { echo "make_dmg.sh: $app missing; run python packaging/build.py first" >&2; exit 1; }

if [ -n "${MACOS_CERT_P12_BASE64:-}" ] && [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  keychain="$RUNNER_TEMP/kiosk-signing.keychain-db"
  kc_pass=$(uuidgen)
  echo "$MACOS_CERT_P12_BASE64" | base64 --decode > "$RUNNER_TEMP/cert.p12"
  security create-keychain -p "$kc_pass" "$keychain"
  security set-keychain-settings -lut 21600 "$keychain"
  security unlock-keychain -p "$kc_pass" "$keychain"
  security import "$RUNNER_TEMP/cert.p12" -k "$keychain" -P "$MACOS_CERT_PASSWORD" -T /usr/bin/codesign
  security set-key-partition-list -S apple-tool:,apple: -k "$kc_pass" "$keychain" >/dev/null
  security list-keychains -d user -s "$keychain"
  rm -f "$RUNNER_TEMP/cert.p12"
  # --deep is deprecated for signing, but PyInstaller's bundle keeps every library under Contents/Frameworks and
  # Contents/Resources; sign those first, then the app with the entitlements.
  find "$app/Contents" -type f \( -name "*.dylib" -o -name "*.so" -o -perm -111 \) ! -path "*/MacOS/kiosk" -print0 |
    xargs -0 codesign --force --timestamp --options runtime --sign "$MACOS_SIGN_IDENTITY"
  codesign --force --timestamp --options runtime --entitlements packaging/macos/entitlements.plist \
    --sign "$MACOS_SIGN_IDENTITY" "$app"
  codesign --verify --strict --verbose=2 "$app"
  signed=yes
else
  echo "make_dmg.sh: signing skipped: MACOS_CERT_P12_BASE64 / MACOS_SIGN_IDENTITY not set (unsigned .dmg)"
  signed=no
fi

rm -f "$dmg"
staging=$(mktemp -d)
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
hdiutil create -volname "Kiosk $version" -srcfolder "$staging" -fs HFS+ -format UDZO "$dmg"
rm -rf "$staging"

if [ "$signed" = yes ]; then
  codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" "$dmg"
  if [ -n "${APPLE_ID:-}" ] && [ -n "${APPLE_TEAM_ID:-}" ] && [ -n "${APPLE_APP_PASSWORD:-}" ]; then
    xcrun notarytool submit "$dmg" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
      --password "$APPLE_APP_PASSWORD" --wait
    xcrun stapler staple "$dmg"
    xcrun stapler validate "$dmg"
  else
    echo "make_dmg.sh: notarisation skipped: APPLE_ID / APPLE_TEAM_ID / APPLE_APP_PASSWORD not set"
  fi
fi
echo "make_dmg.sh: wrote $dmg"
