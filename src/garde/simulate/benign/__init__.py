"""Normal hospital life: the background every attack has to hide in."""
