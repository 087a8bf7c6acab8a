"""PyInstaller entry script: the frozen app starts exactly like the `kiosk` console script."""
from kiosk.app import main_cli

if __name__ == "__main__":
    main_cli()
