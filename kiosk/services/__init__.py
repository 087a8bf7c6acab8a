"""Application layer: payment controller, poller, recovery. No widgets."""
