"""Serving: the FastAPI JSON API, the Gradio journaling UI, the journal store and the re-scoring job."""
