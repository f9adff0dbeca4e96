from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Comment


class CommentForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ["body"]
        labels = {"body": _("Your comment")}
        help_texts = {
            "body": _("Markdown works: *emphasis*, [links](https://example.org), `code`, lists and > quotes.")
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}
        error_messages = {"body": {"required": _("Write something before posting your comment.")}}

    def clean_body(self):
        body = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError(_("Write something before posting your comment."))
        return body
