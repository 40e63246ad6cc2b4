def mse_loss(predictions, targets):
    predictions, targets = list(predictions), list(targets)
    if len(predictions) == 0 or len(predictions) != len(targets):
        raise ValueError('need as many targets as predictions, and at least one')
    acc = 0.0
    for yhat, y in zip(predictions, targets):
        diff = yhat - y
        acc = diff * diff + acc
    return acc * (1.0 / len(predictions))
