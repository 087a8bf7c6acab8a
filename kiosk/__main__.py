"""`python -m kiosk`"""
from kiosk.app import main_cli

main_cli()
