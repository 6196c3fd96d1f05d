"""The Safety Reminder (arXiv 2506.15734): the Self-Reminder baseline its code runs."""
