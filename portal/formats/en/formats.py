# English dates as the portal has always shown them ("November 29, 2026"),
# rather than Django's abbreviated "Nov. 29, 2026". Templates use these names
# (|date:"DATE_FORMAT"), so every language gets its own order and words.
DATE_FORMAT = "F j, Y"
DATETIME_FORMAT = r"F j, Y \a\t g:i a"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "F j"
