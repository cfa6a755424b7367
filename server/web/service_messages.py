"""Messages the services and storage raise in English, listed here so the catalog extractor finds
them and the web UI can show them translated (`Web._(exc.message)` looks them up at run time)."""

from __future__ import annotations


def N_(message: str) -> str:   # the conventional gettext no-op marker
    return message


MESSAGES = (
    N_("This invite has been used up"),
    N_("Username must be 1-30 letters, digits or underscores"),
    N_("You cannot follow this account"),
    N_("Record not found"),
    N_("The post you are replying to does not exist"),
    N_("This post is already being published"),
    N_("A poll must last between 5 minutes and 30 days"),
    N_("A post cannot have both a poll and attachments"),
    N_("One of the attachments does not exist or is already used"),
    N_("Poll options must be different from each other"),
    N_("A poll needs between 2 and 10 options"),
    N_("Poll options must be 1-100 characters"),
    N_("Text can't be blank"),
    N_("Text is too long: at most 5000 characters"),
    N_("Content warning is too long: at most 500 characters"),
    N_("At most 4 attachments"),
    N_("This post cannot be boosted: it is limited to its audience"),
    N_("You cannot follow yourself"),
    N_("followers-only and direct posts cannot be boosted"),
    N_("Choose at least one option"),
    N_("That option does not exist"),
    N_("The poll has already ended"),
    N_("This poll allows only one choice"),
    N_("You cannot vote in your own poll"),
    N_("You have already voted in this poll"),
    N_("Password must be at least 8 characters long"),
    N_("Attachments are not available on this instance yet"),
    N_("Upload a JPEG, PNG, GIF or WebP image"),
    N_("The image is too large (8 MB at most)"),
    N_("The file is empty"),
    N_("The image has too many pixels (at most 7680 x 4320)"),
    N_("File type is not supported: upload a JPEG, PNG, GIF or WebP image"),
    N_("The animation is too long"),
    N_("The image could not be read: the file is damaged"),
    N_("This form has expired or did not come from Atrium. Reload the page and try again."),
)
