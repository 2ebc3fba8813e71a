"""Running the app in production shape: several replicas behind nginx (deploy/nginx.conf)."""
