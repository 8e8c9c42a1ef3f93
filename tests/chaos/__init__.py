"""The chaos suite (``make chaos``) and the helpers of the crash, lock, outage and secrets tests."""
