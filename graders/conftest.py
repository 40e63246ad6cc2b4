pytest_plugins = ["micrograde.plugin"]
