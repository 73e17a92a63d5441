"""Optical flow between neighbouring frames, from OpenCV's DIS (Kroeger et al. 2016), and its pictures.

The motion field starts from these flows; nothing here is learned. Flows are returned in the
package's normalised units (a displacement of 2 spans the frame, see ``coords``), so they apply at
any render size. Frames are the pixels a fit may see: held-out pixels never reach the flow.
"""

import math

import cv2
import numpy as np
import torch
import torch.nn.functional as F

MIN_SIDE = 12  # DIS refuses frames under 12 px on both sides (its patches are 8 px): smaller ones get no flow
# A gap whose frames differ this much (mean absolute difference in [0, 1]) even after warping is
# not motion but a cut or a flash: it is blended, not moved.
CUT_RESIDUAL = 0.12


def dis_flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Flow (h, w, 2) in pixels (dx, dy) from uint8 rgb frame a to b: a(p) ≈ b(p + flow(p)).

    DIS at its "medium" preset, refined down to the finest pyramid level (finest scale 0), which
    gives better in-between frames than the preset's default, level 1 (docs/motion.md,
    bench/motion_ablations.py).
    """
    solver = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    solver.setFinestScale(0)
    grey = [cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_RGB2GRAY) for f in (a, b)]
    return solver.calc(grey[0], grey[1], None)


def to_normalised(flow: np.ndarray, size: tuple[int, int]) -> torch.Tensor:
    """Pixel flow (h, w, 2) -> (2, H, W) in normalised units, area-resized to size = (H, W)."""
    height, width = flow.shape[:2]
    scaled = torch.from_numpy(flow).permute(2, 0, 1).float()
    scaled = scaled * torch.tensor([2 / width, 2 / height])[:, None, None]
    return F.interpolate(scaled[None], size=size, mode="area")[0] if (height, width) != size else scaled


def sample(field: torch.Tensor, points: torch.Tensor, mode: str = "bilinear") -> torch.Tensor:
    """Read a (C, h, w) image spanning [-1, 1]^2 (area-aligned) at points (..., 2) = (x, y): (..., C); or n
    images (n, C, h, w) at n sets of points (n, ..., 2): (n, ..., C). Outside the frame the border repeats."""
    batched = field.dim() == 4
    fields, points = (field, points) if batched else (field[None], points[None])
    shape = points.shape[1:-1]
    grid = points.reshape(len(fields), 1, -1, 2)
    out = F.grid_sample(fields, grid, mode=mode, padding_mode="border", align_corners=False)  # (n, C, 1, P)
    out = out[:, :, 0].transpose(1, 2).reshape(len(fields), *shape, fields.shape[1])
    return out if batched else out[0]


def origin(flow: torch.Tensor, points: torch.Tensor, share: float, steps: int = 4) -> torch.Tensor:
    """Where points (..., 2) = (x, y) were, if `share` of the (2, h, w) flow carried them there: the q with
    q + share * flow(q) = points, by `steps` fixed-point steps (each shrinks the error by the flow's
    slope over the gap; 4 are plenty for smooth flow)."""
    q = points
    for _ in range(steps):
        q = points - share * sample(flow, q)
    return q


def disagreement(forward: torch.Tensor, backward: torch.Tensor, points: torch.Tensor,
                 size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(where the forward flow carries points (..., 2), and how far in pixels of a (H, W) frame the
    backward flow from there misses the start (...,)): the usual occlusion and mistracking check.
    Flows (2, h, w), or n of them (n, 2, h, w) with n sets of points, as ``sample`` reads them."""
    height, width = size
    there = sample(forward, points)
    miss = (there + sample(backward, points + there)) * torch.tensor([width / 2, height / 2], device=points.device)
    return points + there, miss.norm(dim=-1)


def warp_residual(a: np.ndarray, b: np.ndarray, flow: np.ndarray | None) -> float:
    """Mean |b(p + flow(p)) - a(p)| in [0, 1]: how well the flow explains a from b (None: no motion)."""
    height, width = a.shape[:2]
    image = torch.from_numpy(b).permute(2, 0, 1).float() / 255
    if flow is None:
        moved = image
    else:
        ys, xs = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
        at = torch.stack([(xs + torch.from_numpy(flow[..., 0]) + 0.5) * 2 / width - 1,
                          (ys + torch.from_numpy(flow[..., 1]) + 0.5) * 2 / height - 1], -1)
        moved = sample(image, at).permute(2, 0, 1)
    return float((moved - torch.from_numpy(a).permute(2, 0, 1).float() / 255).abs().mean())


def gap_flows(frames: np.ndarray, size: tuple[int, int]) -> tuple[torch.Tensor, list[int]]:
    """Forward and backward flow of every gap between neighbouring frames of uint8 (T, h, w, 3):
    (T-1, 2, 2, H, W) at size = (H, W), normalised; and the gaps left still (flow zero: blended),
    where the flow explains the next frame no better than standing still, or not at all (a cut)."""
    count, height, width = frames.shape[:3]
    flows = torch.zeros(max(count - 1, 0), 2, 2, *size)
    still = []
    if min(height, width) < MIN_SIDE:
        return flows, list(range(count - 1))
    for k in range(count - 1):
        a, b = frames[k], frames[k + 1]
        forward, backward = dis_flow(a, b), dis_flow(b, a)
        moved, plain = warp_residual(a, b, forward), warp_residual(a, b, None)
        if not math.isfinite(moved) or moved >= plain or moved > CUT_RESIDUAL:
            still.append(k)
            continue
        flows[k, 0] = to_normalised(forward, size)
        flows[k, 1] = to_normalised(backward, size)
    return flows, still


def flow_colours(flow: torch.Tensor, size: tuple[int, int], scale: float | None = None) -> np.ndarray:
    """The usual colour-wheel picture of a (2, h, w) normalised flow at size (H, W): hue is the
    direction, brightness the length (full at `scale` pixels, default the longest). uint8 (H, W, 3)."""
    height, width = size
    up = F.interpolate(flow[None].float(), size=size, mode="bilinear", align_corners=False)[0]
    dx = (up[0] * width / 2).numpy()
    dy = (up[1] * height / 2).numpy()
    length, angle = cv2.cartToPolar(dx, dy, angleInDegrees=True)
    top = scale or max(float(length.max()), 1e-6)
    hsv = np.stack([angle / 2, np.full_like(angle, 255), np.clip(length / top, 0, 1) * 255], -1)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)


def flow_arrows(frame: np.ndarray, flow: torch.Tensor, step: int = 12) -> np.ndarray:
    """uint8 (H, W, 3): the frame with an arrow every `step` pixels showing where that point moves by the
    next frame, scaled so the fastest point's arrow is a step long; points under a fifth of that speed
    get none (the jitter of flat, textureless areas)."""
    height, width = frame.shape[:2]
    out = np.ascontiguousarray(frame.copy())
    up = F.interpolate(flow[None].float(), size=(height, width), mode="bilinear", align_corners=False)[0]
    dx, dy = (up[0] * width / 2).numpy(), (up[1] * height / 2).numpy()  # pixels of this frame
    speed = np.hypot(dx, dy)
    top = float(speed.max())
    if top < 1e-3:
        return out
    gain = step / top
    for y in range(step // 2, height, step):
        for x in range(step // 2, width, step):
            if speed[y, x] < top / 5:
                continue
            end = (int(round(x + dx[y, x] * gain)), int(round(y + dy[y, x] * gain)))
            cv2.arrowedLine(out, (x, y), end, (0, 0, 0), 3, cv2.LINE_AA, tipLength=0.35)
            cv2.arrowedLine(out, (x, y), end, (255, 230, 0), 1, cv2.LINE_AA, tipLength=0.35)
    return out
