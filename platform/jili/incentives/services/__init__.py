"""Incentive services: schemes and budget, plans and their versions, copying a plan, the simulator, the export."""
