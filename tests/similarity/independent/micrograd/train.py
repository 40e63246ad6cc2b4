from .losses import mse_loss
from .optim import SGD


def train(model, xs, ys, epochs=100, lr=0.05, optimizer=None, loss_fn=mse_loss):
    opt = optimizer or SGD(model.parameters(), lr=lr)
    losses = []
    for epoch in range(epochs):
        loss = loss_fn([model(x) for x in xs], ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.data)
    return losses


def plot_losses(history, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.plot(list(range(len(history))), history)
    ax.set_xlabel('epoch')
    ax.set_ylabel('loss')
    fig.savefig(path)
    plt.close(fig)
