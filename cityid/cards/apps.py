from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "cityid.cards"
    label = "cards"
