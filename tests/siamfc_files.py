"""SiamFC weight files as the originals store them, for the RASNet tests: MatConvNet's
``net.params`` of a backbone and a ``2016-08-17.net.mat``-like file (needs scipy)."""
from collections import OrderedDict

import numpy as np
from torch import nn

try:
    import scipy.io  # noqa: F401
    HAVE_SCIPY = True
except ImportError:
    HAVE_SCIPY = False


def matconvnet_params(backbone):
    """SiamFC's net.params as MatConvNet stores them: (H, W, C_in, C_out) filters, column vectors."""
    params = OrderedDict()
    convs = [m for m in backbone.modules() if isinstance(m, nn.Conv2d)]
    norms = [m for m in backbone.modules() if isinstance(m, nn.BatchNorm2d)]
    for k, conv in enumerate(convs, start=1):
        params[f"conv{k}f"] = conv.weight.detach().numpy().transpose(2, 3, 1, 0).copy()
        params[f"conv{k}b"] = conv.bias.detach().numpy().reshape(-1, 1).copy()
        if k <= len(norms):
            bn = norms[k - 1]
            params[f"bn{k}m"] = bn.weight.detach().numpy().reshape(-1, 1).copy()
            params[f"bn{k}b"] = bn.bias.detach().numpy().reshape(-1, 1).copy()
            params[f"bn{k}x"] = np.stack([bn.running_mean.numpy(), np.sqrt(bn.running_var.numpy())], 1)
    params["adjust_f"] = np.array([[0.001]], dtype=np.float32)
    params["adjust_b"] = np.array([[-0.25]], dtype=np.float32)
    return params


def write_net_mat(path, params):
    from scipy.io import savemat

    # net.params is a 1xN struct array with fields name and value, as a DagNN saveobj() writes it
    table = np.zeros((1, len(params)), dtype=[("name", object), ("value", object)])
    for i, (name, value) in enumerate(params.items()):
        table[0, i] = (name, value)
    savemat(str(path), {"net": {"params": table, "meta": {"normalization": "none"}}})
