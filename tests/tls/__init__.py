"""TLS, trust and regkit doctor against real failures: the test host, the lab, a private Engine."""
