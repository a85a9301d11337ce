"""Answer questions, in Chinese, about a corpus of news articles."""
