"""Who may open a bill: patient links, identity verification, the second factor, a verified
patient's other open bills (reached without a new check), and the patient's privacy
requests."""
