"""The trainer's pages, one router per area (FastAPI's "bigger applications" layout).

`deps` holds what every page shares: the signed-in user, the role check, the CSRF-checked form,
flash messages and page rendering. `trainer.web.create_app` assembles the routers.
"""
