"""What the people who run the service see: request ids and structured logs (`logs`),
Prometheus metrics (`metrics`), and the ASGI middleware that ties them to each request."""
