"""Documents drawn with QtGui (QPdfWriter, QPainter): receipts and the end-of-day report as PDF.

QtGui only, no widgets and no event loop, so the command line (`kiosk report --format pdf`) renders the same
pages as the window, under a QGuiApplication on the offscreen platform.
"""
