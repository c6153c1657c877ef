"""RASNet network: shapes, Eq. (8) against its triple sum, the SiamFC limit, variants and sizes."""
import pytest
import torch

from rasbench_trackers.rasnet import VARIANTS, build_model, parameter_count
from rasbench_trackers.rasnet.model import AlexNetV1, ChannelAttention, ResidualAttention

# Backbone 2,336,320 (spec section 1); RA 2,297,345 and CA 33,088 as specified in 2.3 / 2.4;
# 36 for the general attention and 1 for the bias b.
PARAMETERS = {"siamfc": 2_336_321, "genatt": 2_336_357, "dualatt": 4_633_702, "chanatt": 2_369_409,
              "rasnet": 4_666_790}


@pytest.fixture(scope="module")
def images():
    generator = torch.Generator().manual_seed(0)
    return (torch.rand(2, 3, 127, 127, generator=generator) * 255,
            torch.rand(2, 3, 255, 255, generator=generator) * 255)


def _randomise_attentions(model):
    """Non-trivial rho_bar, rho_tilde and beta (the initialisation makes rho_tilde zero)."""
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter is not model.bias and not any(parameter is p for p in model.backbone.parameters()):
                parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=parameter.dtype) * 0.1)
        model.general_attention.add_(1.0)
        model.bias.fill_(0.25)


def test_feature_and_response_shapes(images):
    exemplar, search = images
    model = build_model("rasnet", seed=0).eval()
    with torch.inference_mode():
        fz, fx = model.backbone(exemplar), model.backbone(search)
        assert fz.shape == (2, 256, 6, 6) and fx.shape == (2, 256, 22, 22)
        assert model.backbone(search[:, :, :239, :239]).shape == (2, 256, 20, 20)
        rho, beta = model.attentions(fz)
        assert rho.shape == (2, 1, 6, 6) and beta.shape == (2, 256, 1, 1)
        assert ((beta > 0) & (beta < 1)).all()
        assert model.attend(fz).shape == (2, 256, 6, 6)
        assert model(exemplar, search).shape == (2, 1, 17, 17)  # pairs, one to one
        assert model.xcorr(model.attend(fz[:1]), fx).shape == (2, 1, 17, 17)  # one kernel, a scale batch
        assert model.xcorr(model.attend(fz), fx[..., :20, :20]).shape == (2, 1, 15, 15)  # training size


def test_weighted_xcorr_equals_triple_sum_of_eq8():
    model = build_model("rasnet", seed=0).double()
    _randomise_attentions(model)
    generator = torch.Generator().manual_seed(2)
    fz = torch.randn(2, 256, 6, 6, generator=generator, dtype=torch.float64)
    fx = torch.randn(2, 256, 9, 10, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        rho, beta = model.attentions(fz)
        got = model.xcorr(model.attend(fz), fx)
        one_kernel = model.xcorr(model.attend(fz[:1]), fx)
    assert rho.abs().std() > 0.01 and beta.std() > 0.01  # the attentions really vary
    scale, bias = model.out_scale.item(), model.bias.detach().item()
    expected = torch.zeros(2, 1, 4, 5, dtype=torch.float64)
    for n in range(2):
        for p in range(4):
            for q in range(5):
                total = 0.0
                for i in range(6):
                    for j in range(6):
                        # sum over c of rho_ij * beta_c * phi_ijc(z) * phi_{p+i, q+j, c}(x)
                        total += rho[n, 0, i, j] * (beta[n, :, 0, 0] * fz[n, :, i, j] * fx[n, :, p + i, q + j]).sum()
                expected[n, 0, p, q] = scale * total + bias
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(one_kernel[0], expected[0], rtol=1e-10, atol=1e-12)


def test_rasnet_with_neutral_attentions_is_scaled_siamfc(images):
    """rho_tilde = 0, rho_bar = 1, beta constant: RASNet logits = beta * SiamFC logits (same b)."""
    exemplar, search = images
    siamfc = build_model("siamfc", seed=0).eval()
    rasnet = build_model("rasnet", seed=5).eval()
    rasnet.backbone.load_state_dict(siamfc.backbone.state_dict())
    constant = torch.tensor(0.3)
    with torch.no_grad():
        for model in (siamfc, rasnet):
            model.bias.fill_(0.7)
        torch.nn.init.zeros_(rasnet.channel_attention.expand.weight)
        rasnet.channel_attention.expand.bias.fill_(float(constant))  # beta = sigmoid(0.3) for every channel
    assert torch.equal(rasnet.general_attention, torch.ones(1, 1, 6, 6))
    with torch.inference_mode():
        assert not rasnet.residual_attention(siamfc.backbone(exemplar)).any()  # zero-initialised output layer
        plain, weighted = siamfc(exemplar, search), rasnet(exemplar, search)
    beta = torch.sigmoid(constant)
    torch.testing.assert_close(weighted - 0.7, beta * (plain - 0.7), rtol=1e-5, atol=1e-5)
    assert plain.std() > 1e-3  # not a degenerate comparison


def test_variants_parameter_counts_and_modules():
    assert parameter_count(AlexNetV1()) == 2_336_320
    for variant, (general, residual, channel) in VARIANTS.items():
        model = build_model(variant)
        assert model.variant == variant
        assert parameter_count(model) == PARAMETERS[variant], variant
        assert (model.general_attention is not None, model.residual_attention is not None,
                model.channel_attention is not None) == (general, residual, channel)
        if general:
            assert torch.equal(model.general_attention.data, torch.ones(1, 1, 6, 6))
    with pytest.raises(ValueError, match="unknown RASNet variant"):
        build_model("transformer")


def test_siamfc_variant_is_plain_cross_correlation():
    model = build_model("siamfc", seed=0)
    fz, fx = torch.randn(1, 256, 6, 6), torch.randn(3, 256, 22, 22)
    with torch.no_grad():
        torch.testing.assert_close(model.xcorr(model.attend(fz), fx),
                                   torch.nn.functional.conv2d(fx, fz) * 1e-3)


def test_seeded_build_is_reproducible_and_leaves_global_rng_alone():
    state = torch.random.get_rng_state()
    first, second = build_model("rasnet", seed=3), build_model("rasnet", seed=3)
    assert torch.equal(torch.random.get_rng_state(), state)
    for (key, a), (_, b) in zip(first.state_dict().items(), second.state_dict().items()):
        assert torch.equal(a, b), key
    assert not torch.equal(build_model("rasnet", seed=4).backbone.conv1[0].weight, first.backbone.conv1[0].weight)


@pytest.mark.parametrize("layout", [
    {},
    {"channels": 64},
    {"channels": 32, "encoder_kernels": (3, 2, 2), "decoder_kernels": (2, 2, 3), "skip": True},
    {"encoder_kernels": (5,), "decoder_kernels": (5,), "skip": True},
])
def test_residual_attention_layouts(layout):
    module = ResidualAttention(**layout)
    feature = torch.randn(2, 256, 6, 6)
    assert not module(feature).any()  # zero-initialised output layer: rho_tilde starts at 0
    torch.nn.init.normal_(module.decoder[-1].weight)
    out = module(feature)
    assert out.shape == (2, 1, 6, 6) and out.std() > 0


@pytest.mark.parametrize("layout", [
    {"encoder_kernels": (3, 3), "decoder_kernels": (3,)},   # does not grow back to 6x6
    {"encoder_kernels": (3, 3, 3), "decoder_kernels": (3, 3, 3)},  # 6 -> 0
    {"encoder_kernels": (3, 2), "decoder_kernels": (3, 2), "skip": True},  # skips need mirrored kernels
])
def test_residual_attention_rejects_bad_layouts(layout):
    with pytest.raises(ValueError):
        ResidualAttention(**layout)


def test_model_config_round_trips_through_constructor():
    model = build_model("rasnet", ra_channels=64, ra_skip=True, ra_encoder_kernels=(3, 2, 2),
                        ra_decoder_kernels=(2, 2, 3), ca_reduction=8, ca_pool="max")
    clone = build_model("rasnet", **model.config())
    assert clone.config() == model.config()
    assert [p.shape for p in clone.parameters()] == [p.shape for p in model.parameters()]


def test_channel_attention_pooling_and_neutral_output():
    block = ChannelAttention(reduction=4, pool="max")
    assert block.reduce.out_channels == 64
    torch.nn.init.zeros_(block.expand.weight)
    torch.nn.init.zeros_(block.expand.bias)
    assert torch.equal(block(torch.randn(3, 256, 6, 6)), torch.full((3, 256, 1, 1), 0.5))
    with pytest.raises(ValueError):
        ChannelAttention(pool="median")
