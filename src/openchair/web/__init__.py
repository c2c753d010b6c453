"""The web remote and its HTTP + WebSocket API, served by ``openchair serve`` in the chair
service's own process. ``create_app`` builds the FastAPI application around a ``ChairService``;
``server.serve_web`` runs it with uvicorn on the service's asyncio loop. docs/API.md and
docs/REMOTE.md describe what it offers."""
