"""Incentive services: plans and their versions, the simulator, the export."""
