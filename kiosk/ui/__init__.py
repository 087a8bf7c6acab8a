"""Qt widgets only. Widgets observe the services layer; they never call a provider."""
