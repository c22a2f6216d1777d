from django.contrib.auth.forms import AuthenticationForm

from hafan.core.forms import GovukFormMixin


class SignInForm(GovukFormMixin, AuthenticationForm):
    pass
