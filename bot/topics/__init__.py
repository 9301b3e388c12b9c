"""Topic queries: a small search language over a paper's title, abstract and arXiv categories.

Pure Python, no I/O (like `bot.names`): `parse_query` turns the text a member typed into a
`TopicQuery` or raises `QueryError` naming the position; `TopicQuery.match` tests one paper;
`TopicIndex` tests a day's listing against thousands of queries at once.
"""

from bot.topics.index import TopicIndex
from bot.topics.query import MAX_QUERY_CHARS, QueryError, TopicQuery, parse_query
from bot.topics.text import PaperText

__all__ = [
    "MAX_QUERY_CHARS",
    "PaperText",
    "QueryError",
    "TopicIndex",
    "TopicQuery",
    "parse_query",
]
