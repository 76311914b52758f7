"""Importers and services for the period's inputs."""
