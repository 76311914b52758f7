"""Responsibility letters (目标责任书): generated from published targets, printed, acknowledged."""
