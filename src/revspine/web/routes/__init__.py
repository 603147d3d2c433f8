"""The app's routers: pages (HTML with JSON twins) and the REST API."""
