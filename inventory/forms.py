"""Forms: they parse and render request data. The rules they feed live in the services;
the history's filter form is a filterset (`inventory.filtersets`)."""

from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe

from inventory.transfers import MAX_NOTE_LENGTH, MAX_TOKENS, parse_serials


class SerialListField(forms.Field):
    """Pasted Token S/Ns (spaces, commas, new lines, a spreadsheet column) as a list."""

    widget = forms.Textarea

    def to_python(self, value):
        return parse_serials(value or "")


def organization_choices(organizations) -> list[tuple[str, str]]:
    """(Org ID, "Name (Org ID)") for a list of organizations to choose from."""
    return [(org.org_id, f"{org.name} ({org.org_id})") for org in organizations]


class OrganizationSelect(forms.Select):
    """A select of organizations whose options are written in one pass. Django renders
    each option through two templates (about 0.1 ms an option here): for a superuser's
    300 organizations that was 50 ms of every Port Tokens page, whose two saved-view
    forms hold the list. The markup is Django's `select.html`, escaped by the standard
    library's escape, which Django's wraps."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = self.format_value(value)[:1]  # one select: the first match only
        options = "".join(
            f'\n  <option value="{escape(str(option))}"'
            f"{' selected' if [str(option)] == chosen else ''}>{escape(str(label))}</option>"
            for option, label in self.choices
        )
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{attributes}>{options}\n</select>')


class TransferForm(forms.Form):
    """The transfer form. It stays lenient on purpose: the transfer service checks the
    list, the destination and the note, so every problem is reported at once, by S/N."""

    token_sns = SerialListField(
        label="Token S/Ns",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "autocomplete": "off"}),
        help_text=(
            "Separate with spaces, commas or new lines; a column pasted from a spreadsheet "
            f"works too. Up to {MAX_TOKENS:,} tokens."
        ),
    )
    to_org = forms.CharField(
        label="Destination organization",
        required=False,
        widget=OrganizationSelect,
        help_text="Organizations you manage.",
    )
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_NOTE_LENGTH}),
        help_text=f"Optional, up to {MAX_NOTE_LENGTH} characters. Kept in the transfer history.",
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_org"].widget.choices = [
            ("", "Choose an organization…"),
            *organization_choices(organizations),
        ]
