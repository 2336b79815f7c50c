# Superset configuration for the cluster (mounted from a ConfigMap; SUPERSET_CONFIG_PATH points here).
# Secrets come from the environment (Secret superset-app / superset-db), never from this file.
import os
from urllib.parse import quote

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]

# Superset's own metadata lives in the `superset` database on postgres-analytics (its own owner),
# separate from the analytics data it charts.
# SUPERSET_META_DB_HOSTPORT replaces the in-cluster address where Superset runs outside the cluster (the local
# cluster of deploy/local); it is unset in Kubernetes.
SQLALCHEMY_DATABASE_URI = (
    "postgresql+psycopg2://superset:"
    + quote(os.environ["SUPERSET_META_DB_PASSWORD"], safe="")
    + "@"
    + os.environ.get("SUPERSET_META_DB_HOSTPORT", "postgres-analytics.data.svc.cluster.local:5432")
    + "/superset"
)

# Behind the Gateway (X-Forwarded-* headers).
ENABLE_PROXY_FIX = True
# Writable scratch space on a read-only root filesystem (emptyDir).
DATA_DIR = os.environ.get("SUPERSET_HOME", "/app/superset_home")
UPLOAD_FOLDER = os.path.join(DATA_DIR, "uploads/")

# The dashboards only read materialized views; nobody uploads files or runs DML through Superset.
FEATURE_FLAGS = {
    "DASHBOARD_RBAC": True,
    "ENABLE_TEMPLATE_PROCESSING": False,
}
PREVENT_UNSAFE_DB_CONNECTIONS = True
