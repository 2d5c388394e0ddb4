"""The live local API (FastAPI): chat and audio ingress, event streaming, the sidebar.

Only this package and ``langassist.cli`` import FastAPI/pydantic. Nothing here runs at
import time; build an app with :func:`langassist.api.app.create_app`.
"""
