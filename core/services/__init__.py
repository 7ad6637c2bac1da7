"""Business logic as plain typed functions; views, tasks and commands call these."""
