"""The incentive pages: schemes and plans, runs, statements, the simulator."""
