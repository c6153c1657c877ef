"""The RASNet network (Wang et al., CVPR 2018) and its ablation variants.

Shapes (NCHW, float32, RGB images in raw 0-255 with no normalisation, as SiamFC):

* backbone: exemplar (N, 3, 127, 127) -> (N, 256, 6, 6); search (N, 3, 255, 255) ->
  (N, 256, 22, 22) (training crops of 239 -> 20x20); total stride 8.
* attentions, from the exemplar feature only: general rho_bar (1, 1, 6, 6), residual
  rho_tilde (N, 1, 6, 6), channel beta (N, 256, 1, 1) in (0, 1).
* weighted cross-correlation, Eq. (8) of the paper:
  ``f[p, q] = s * sum_{i, j, c} rho[i, j] * beta[c] * phi_z[c, i, j] * phi_x[c, p + i, q + j] + b``
  with s = 1e-3 (SiamFC's frozen "adjust" gain) and b a learned scalar. Since rho and
  beta depend on z only, this is a plain cross-correlation with the re-weighted kernel
  ``K = rho * beta * phi_z``, which :meth:`RASNet.attend` computes once per target.

Variants (the paper's ablations, Sec. 4.2) differ only in which attentions exist:
``siamfc`` (none: rho = 1, beta = 1), ``genatt`` (rho = rho_bar), ``dualatt``
(rho = rho_bar + rho_tilde), ``chanatt`` (beta only), ``rasnet`` (all three).

The residual-attention layout is a reconstruction (the paper gives no layer table), so it
is set by constructor arguments that checkpoints record; see :class:`ResidualAttention`.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

#: variant -> (general attention, residual attention, channel attention)
VARIANTS: dict[str, tuple[bool, bool, bool]] = {
    "siamfc": (False, False, False),
    "genatt": (True, False, False),
    "dualatt": (True, True, False),
    "chanatt": (False, False, True),
    "rasnet": (True, True, True),
}

EXEMPLAR_SIZE = 127
INSTANCE_SIZE = 255
TOTAL_STRIDE = 8
FEATURE_CHANNELS = 256
EXEMPLAR_FEATURE_SIZE = 6  # 127 -> 6x6 through the backbone


def _he_fan_out_(module: nn.Module) -> None:
    # MatConvNet's "xavierimproved" init used by SiamFC: N(0, 2 / (k * k * C_out)), zero bias.
    nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
    if module.bias is not None:
        nn.init.zeros_(module.bias)


def _batch_norm(channels: int) -> nn.BatchNorm2d:
    # eps / momentum of siamfc-pytorch, mirroring MatConvNet's moment learning rate 0.05.
    return nn.BatchNorm2d(channels, eps=1e-6, momentum=0.05)


class AlexNetV1(nn.Module):
    """SiamFC's AlexNet-like backbone: no padding, conv5 is a bare conv (no BN, no ReLU).

    Module names ``conv1`` .. ``conv5`` (each a Sequential conv, BN, ReLU[, max-pool]) match
    huanglianghua/siamfc-pytorch's ``AlexNetV1`` so its checkpoints map key for key.
    2,336,320 parameters.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, 96, 11, 2), _batch_norm(96), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2))
        self.conv2 = nn.Sequential(nn.Conv2d(96, 256, 5, 1, groups=2), _batch_norm(256), nn.ReLU(inplace=True),
                                   nn.MaxPool2d(3, 2))
        self.conv3 = nn.Sequential(nn.Conv2d(256, 384, 3, 1), _batch_norm(384), nn.ReLU(inplace=True))
        self.conv4 = nn.Sequential(nn.Conv2d(384, 384, 3, 1, groups=2), _batch_norm(384), nn.ReLU(inplace=True))
        self.conv5 = nn.Sequential(nn.Conv2d(384, FEATURE_CHANNELS, 3, 1, groups=2))
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                _he_fan_out_(module)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(N, 3, S, S) RGB 0-255 -> (N, 256, (S - 79) // 8, ...): 127 -> 6, 255 -> 22."""
        return self.conv5(self.conv4(self.conv3(self.conv2(self.conv1(image)))))


class ResidualAttention(nn.Module):
    """Hourglass on the exemplar feature: (N, 256, 6, 6) -> rho_tilde (N, 1, 6, 6).

    Default (spec section 2.3, a reconstruction): unpadded convs with kernels 3, 3, 2
    (6 -> 4 -> 2 -> 1) and ReLU, then transposed convs with kernels 2, 3, 3 (1 -> 2 -> 4 -> 6),
    ReLU between them and a linear output. ``skip=True`` adds each encoder output to the
    decoder output of the same size (hourglass skips). The last layer starts at zero so
    rho_tilde = 0 at initialisation (RASNet then starts as GenAtt).
    """

    def __init__(self, channels: int = 256, encoder_kernels: Sequence[int] = (3, 3, 2),
                 decoder_kernels: Sequence[int] = (2, 3, 3), skip: bool = False,
                 in_channels: int = FEATURE_CHANNELS, size: int = EXEMPLAR_FEATURE_SIZE) -> None:
        super().__init__()
        encoder_kernels, decoder_kernels = tuple(encoder_kernels), tuple(decoder_kernels)
        shrink = sum(k - 1 for k in encoder_kernels)
        if not encoder_kernels or not decoder_kernels or min(encoder_kernels + decoder_kernels) < 1:
            raise ValueError("residual attention needs at least one encoder and one decoder layer, kernels >= 1")
        if shrink >= size or shrink != sum(k - 1 for k in decoder_kernels):
            raise ValueError(f"residual attention kernels {encoder_kernels} / {decoder_kernels} must shrink the "
                             f"{size}x{size} feature to at least 1x1 and grow it back to {size}x{size}")
        if skip and decoder_kernels != encoder_kernels[::-1]:
            raise ValueError("residual attention skips need mirrored kernels (decoder = reversed encoder)")
        self.skip = skip
        widths = [in_channels] + [channels] * len(encoder_kernels)
        self.encoder = nn.ModuleList(nn.Conv2d(widths[i], widths[i + 1], k) for i, k in enumerate(encoder_kernels))
        outs = [channels] * (len(decoder_kernels) - 1) + [1]
        ins = [channels] + outs[:-1]
        self.decoder = nn.ModuleList(nn.ConvTranspose2d(i, o, k) for i, o, k in zip(ins, outs, decoder_kernels))
        for layer in list(self.encoder) + list(self.decoder)[:-1]:
            _he_fan_out_(layer)
        nn.init.zeros_(self.decoder[-1].weight)
        nn.init.zeros_(self.decoder[-1].bias)

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        skips = []
        x = feature
        for conv in self.encoder:
            skips.append(x)
            x = F.relu(conv(x))
        # skips[k] has the size of decoder layer (n - 1 - k)'s output; the first entry is the input.
        for depth, deconv in enumerate(self.decoder):
            x = deconv(x)
            if depth < len(self.decoder) - 1:
                if self.skip:
                    x = x + skips[len(self.decoder) - 1 - depth]
                x = F.relu(x)
        return x


class ChannelAttention(nn.Module):
    """SE-style block: (N, 256, h, w) -> beta (N, 256, 1, 1) in (0, 1).

    Global pooling (average by default; the paper does not say), 1x1 conv 256 -> 256 / r,
    ReLU, 1x1 conv back to 256, sigmoid. With the last layer zeroed, beta = 0.5 exactly.
    """

    def __init__(self, channels: int = FEATURE_CHANNELS, reduction: int = 4, pool: str = "avg") -> None:
        super().__init__()
        if pool not in ("avg", "max"):
            raise ValueError(f"channel attention pool must be 'avg' or 'max', got {pool!r}")
        if reduction < 1 or channels % reduction:
            raise ValueError(f"channel attention reduction {reduction} must divide {channels}")
        self.pool = pool
        self.reduce = nn.Conv2d(channels, channels // reduction, 1)
        self.expand = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        pooled = feature.mean((2, 3), keepdim=True) if self.pool == "avg" else feature.amax((2, 3), keepdim=True)
        return torch.sigmoid(self.expand(F.relu(self.reduce(pooled))))


class RASNet(nn.Module):
    """Backbone + attentions + weighted cross-correlation; one code path for every variant.

    Constructor arguments other than ``variant`` configure the attention modules and are
    what :meth:`config` returns and checkpoints store.
    """

    def __init__(self, variant: str = "rasnet", *, ra_channels: int = 256,
                 ra_encoder_kernels: Sequence[int] = (3, 3, 2), ra_decoder_kernels: Sequence[int] = (2, 3, 3),
                 ra_skip: bool = False, ca_reduction: int = 4, ca_pool: str = "avg",
                 out_scale: float = 1e-3) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown RASNet variant {variant!r}; choose from {', '.join(VARIANTS)}")
        self.variant = variant
        self._config = {
            "ra_channels": int(ra_channels), "ra_encoder_kernels": [int(k) for k in ra_encoder_kernels],
            "ra_decoder_kernels": [int(k) for k in ra_decoder_kernels], "ra_skip": bool(ra_skip),
            "ca_reduction": int(ca_reduction), "ca_pool": str(ca_pool), "out_scale": float(out_scale),
        }
        general, residual, channel = VARIANTS[variant]
        self.backbone = AlexNetV1()
        size = EXEMPLAR_FEATURE_SIZE
        self.general_attention = nn.Parameter(torch.ones(1, 1, size, size)) if general else None
        self.residual_attention = (ResidualAttention(ra_channels, ra_encoder_kernels, ra_decoder_kernels, ra_skip)
                                   if residual else None)
        self.channel_attention = ChannelAttention(FEATURE_CHANNELS, ca_reduction, ca_pool) if channel else None
        # SiamFC's adjust layer: frozen gain (a buffer, so training never moves it), learned bias.
        self.register_buffer("out_scale", torch.tensor(float(out_scale)))
        self.bias = nn.Parameter(torch.zeros(1))

    def config(self) -> dict:
        """Constructor keyword arguments (without ``variant``), plain Python values."""
        return {key: list(value) if isinstance(value, list) else value for key, value in self._config.items()}

    def attentions(self, exemplar_feature: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """rho (N or 1, 1, 6, 6) and beta (N, 256, 1, 1); None where the variant has none."""
        rho = self.general_attention
        if self.residual_attention is not None:
            residual = self.residual_attention(exemplar_feature)
            rho = residual if rho is None else rho + residual
        beta = self.channel_attention(exemplar_feature) if self.channel_attention is not None else None
        return rho, beta

    def attend(self, exemplar_feature: torch.Tensor) -> torch.Tensor:
        """The re-weighted kernel K = rho * beta * phi(z): (N, 256, 6, 6) -> (N, 256, 6, 6)."""
        rho, beta = self.attentions(exemplar_feature)
        kernel = exemplar_feature
        if rho is not None:
            kernel = kernel * rho
        if beta is not None:
            kernel = kernel * beta
        return kernel

    def xcorr(self, kernel: torch.Tensor, search_feature: torch.Tensor) -> torch.Tensor:
        """Scaled cross-correlation plus bias: logits (N_x, 1, H - 5, W - 5).

        ``kernel`` (N_k, C, 6, 6), ``search_feature`` (N_x, C, H, W). N_k = 1 correlates one
        kernel with every search map (tracking: the scale pyramid); N_k = N_x pairs them
        one to one (training) as one grouped convolution.
        """
        n_k, n_x = kernel.shape[0], search_feature.shape[0]
        if n_k == 1:
            out = F.conv2d(search_feature, kernel)
        elif n_k == n_x:
            channels, height, width = search_feature.shape[1:]
            out = F.conv2d(search_feature.reshape(1, n_x * channels, height, width), kernel, groups=n_x)
            out = out.reshape(n_x, 1, out.shape[-2], out.shape[-1])
        else:
            raise ValueError(f"xcorr needs 1 kernel or one per search map, got {n_k} kernels for {n_x} maps")
        return out * self.out_scale + self.bias

    def forward(self, exemplar: torch.Tensor, search: torch.Tensor) -> torch.Tensor:
        """Training pairs: exemplar (N, 3, 127, 127), search (N, 3, S, S) -> logits (N, 1, r, r)."""
        return self.xcorr(self.attend(self.backbone(exemplar)), self.backbone(search))


def build_model(variant: str = "rasnet", seed: int | None = None, **config) -> RASNet:
    """A freshly initialised model (spec section 2 init): rho_bar = 1, rho_tilde = 0, b = 0.

    With ``seed`` the random initialisation is reproducible and the global RNG is left as
    it was.
    """
    if seed is None:
        return RASNet(variant, **config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return RASNet(variant, **config)


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
