# Mounted over /pgadmin4/config_distro.py. The image's entrypoint writes this file only when it is empty,
# which a read-only root filesystem would refuse; a non-empty mounted file makes it skip that step.
CA_FILE = '/etc/ssl/certs/ca-certificates.crt'
LOG_FILE = '/dev/null'
HELP_PATH = '../../docs'
# Connections go through the mesh (ztunnel mTLS), hence SSLMode disable in servers.json.
SERVER_MODE = True
MASTER_PASSWORD_REQUIRED = True
ENHANCED_COOKIE_PROTECTION = True
UPGRADE_CHECK_ENABLED = False
