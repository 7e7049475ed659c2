"""Who may open a bill: patient links, identity verification, the second factor, and the
patient's privacy requests."""
