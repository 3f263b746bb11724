from . import main
from . import payment
from . import link_tracker
