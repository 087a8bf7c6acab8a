"""Payment providers behind one protocol (see base.py). Nothing here imports Qt."""
