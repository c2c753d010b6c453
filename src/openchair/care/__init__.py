"""The back-care companion: exercises with pictures, the daily plan, movement breaks."""
