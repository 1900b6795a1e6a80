"""Bulgaria's 28 administrative regions («области»), as the region filter offers them.

A fixed list, not a DISTINCT over the client base: that scan grew with every company added
(about 100 ms at 100,000 companies) and ran on every list page.
"""

BG_REGIONS = [
    "Благоевград", "Бургас", "Варна", "Велико Търново", "Видин", "Враца", "Габрово", "Добрич",
    "Кърджали", "Кюстендил", "Ловеч", "Монтана", "Пазарджик", "Перник", "Плевен", "Пловдив",
    "Разград", "Русе", "Силистра", "Сливен", "Смолян", "София", "София-град", "Стара Загора",
    "Търговище", "Хасково", "Шумен", "Ямбол",
]
