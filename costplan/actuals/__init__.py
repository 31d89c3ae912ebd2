"""actuals."""
