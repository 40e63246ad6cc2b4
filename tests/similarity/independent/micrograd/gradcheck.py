from .engine import Value


def numerical_grad(f, xs, h=1e-06):
    out = []
    for k, x in enumerate(xs):
        plus = [Value(v + h) if j == k else Value(v) for j, v in enumerate(xs)]
        minus = [Value(v - h) if j == k else Value(v) for j, v in enumerate(xs)]
        out.append((f(plus).data - f(minus).data) / (2 * h))
    return out


def gradcheck(f, xs, h=1e-06, rtol=1e-05, atol=1e-08):
    vs = [Value(x) for x in xs]
    f(vs).backward()
    for v, num in zip(vs, numerical_grad(f, xs, h)):
        if abs(v.grad - num) > atol + rtol * max(abs(v.grad), abs(num)):
            return False
    return True
