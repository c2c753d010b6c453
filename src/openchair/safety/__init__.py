"""The safety supervisor and its limits: the gate between every program and every driver."""
