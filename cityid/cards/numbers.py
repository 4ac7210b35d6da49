"""Card numbers: 15 random digits and a Luhn check digit. Pure Python."""

import secrets


def luhn_check_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def is_valid_card_number(number: str) -> bool:
    return (
        len(number) == 16 and number.isascii() and number.isdigit()  # isdigit() alone admits "²", which int() refuses
        and luhn_check_digit(number[:-1]) == number[-1]
    )


def new_card_number() -> str:
    body = str(secrets.randbelow(9 * 10**14) + 10**14)
    return body + luhn_check_digit(body)
