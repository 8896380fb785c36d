"""The run: flows in dependency order, joined by bounded queues, with the drain-then-checkpoint order."""
