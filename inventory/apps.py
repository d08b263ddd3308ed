from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self):
        from inventory import dbfunctions

        dbfunctions.register_sqlite_functions()
