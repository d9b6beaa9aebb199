"""The big screen (大屏) for a meeting-room display."""
